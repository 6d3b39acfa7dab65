build-tsan/core/alarm_store.o: core/alarm_store.c core/alarm_store.h \
 core/alarm.h core/catalog.h core/engine.h core/event.h core/queue.h \
 core/sample.h
core/alarm_store.h:
core/alarm.h:
core/catalog.h:
core/engine.h:
core/event.h:
core/queue.h:
core/sample.h:
