"""Deleting a user, however it is done (API, Django admin, ``User.delete()``,
a queryset), records what socrates_specs must do about it."""

from django.db.models.signals import post_delete
from django.dispatch import receiver

from accounts import services
from accounts.models import User


@receiver(post_delete, sender=User)
def remember_user_deletion(sender, instance, using, **kwargs):
    services.remember_user_deletion(user_id=instance.pk, using=using)
