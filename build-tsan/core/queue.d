build-tsan/core/queue.o: core/queue.c core/queue.h core/sample.h
core/queue.h:
core/sample.h:
