"""Huey jobs and hooks of monitoring: the heartbeats, and the task id on every log line."""

from huey import crontab
from huey.contrib.djhuey import on_shutdown, on_startup, periodic_task, post_execute, pre_execute

from shegong.ops import heartbeat as beats
from shegong.ops import logs


# A heartbeat that waited in the queue longer than 2 minutes says nothing about now: drop it,
# so that a queue that far behind shows as a stale heartbeat.
@periodic_task(crontab(minute="*"), expires=120)
def heartbeat() -> None:
    beats.record_periodic(consumer=beats.consumer_name())


@on_startup()
def start_consumer_heartbeat() -> None:
    beats.start_consumer_beat()


@on_shutdown()
def stop_consumer_heartbeat() -> None:
    beats.stop_consumer_beat()


# Every line a job logs names the job: the task id goes on the records via logs.ContextFilter.
@pre_execute()
def bind_task_id(task) -> None:
    logs.task_id.set(task.id)


@post_execute()
def unbind_task_id(task, task_value, exc) -> None:
    logs.task_id.set(None)
