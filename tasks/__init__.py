"""The Celery app; `celery -A tasks worker` imports this module."""

from celery import Celery

celery = Celery("commend")
