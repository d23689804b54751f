"""Development mail: every message becomes a readable .eml file under EMAIL_FILE_PATH."""

import logging
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone
from django.utils.crypto import get_random_string

logger = logging.getLogger("portal.mail")


class DirectoryEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        folder = Path(settings.EMAIL_FILE_PATH)
        folder.mkdir(parents=True, exist_ok=True)
        sent = 0
        for message in email_messages:
            stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
            path = folder / f"{stamp}-{get_random_string(6)}.eml"
            path.write_bytes(message.message().as_bytes())
            logger.info(
                "mail to %s: %r written to %s", ", ".join(message.to), message.subject, path
            )
            sent += 1
        return sent
