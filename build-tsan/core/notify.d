build-tsan/core/notify.o: core/notify.c core/notify.h core/alarm.h \
 core/catalog.h core/engine.h core/event.h core/queue.h core/sample.h
core/notify.h:
core/alarm.h:
core/catalog.h:
core/engine.h:
core/event.h:
core/queue.h:
core/sample.h:
