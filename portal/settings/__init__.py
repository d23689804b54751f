"""Settings of the partner portal, read only from environment variables.

Every value has a safe development default except the secret key, which production must provide.
Each module of this package reads the variables of one concern; later modules use the values of
earlier ones.
"""

from portal.settings.base import *  # noqa: F403
from portal.settings.delivery import *  # noqa: F403
from portal.settings.observability import *  # noqa: F403
from portal.settings.product import *  # noqa: F403
from portal.settings.security import *  # noqa: F403
