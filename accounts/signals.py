"""Deleting a user, however it is done (API, Django admin, ``User.delete()``,
a queryset), records what socrates_specs must do about it, and enqueues the
task that does it once the deletion commits."""

from django.db.models.signals import post_delete
from django.dispatch import receiver

from accounts import services, tasks
from accounts.models import User
from socrates.celery import enqueue_on_commit


@receiver(post_delete, sender=User)
def remember_user_deletion(sender, instance, using, **kwargs):
    services.remember_user_deletion(user_id=instance.pk, using=using)
    enqueue_on_commit(tasks.drain_user_deletions, using=using)
