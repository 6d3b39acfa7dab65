build-tsan/core/alarm.o: core/alarm.c core/alarm.h core/catalog.h \
 core/engine.h core/event.h core/queue.h core/sample.h
core/alarm.h:
core/catalog.h:
core/engine.h:
core/event.h:
core/queue.h:
core/sample.h:
