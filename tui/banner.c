#include "banner.h"

#include "screen.h"

bool banner_draw(struct screen *s, int y, int x, int width)
{
    (void)s;
    (void)y;
    (void)x;
    (void)width;
    return false;
}
