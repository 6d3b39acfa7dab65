build-tsan/core/engine.o: core/engine.c core/engine.h core/catalog.h \
 core/event.h core/queue.h core/sample.h core/alarm.h
core/engine.h:
core/catalog.h:
core/event.h:
core/queue.h:
core/sample.h:
core/alarm.h:
