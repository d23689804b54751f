"""Which language a person reads: their stored choice, else the browser's, else English.

An operator's choice is `User.language`; a customer contact's is `CustomerAccount.contact_language`
(kept in the customer centre's session while signed in). Pages follow the stored choice over the
browser's Accept-Language (`PreferredLanguageMiddleware`); e-mails and receipts, which have no
browser, follow the recipient's stored choice alone (`recipient_language`).
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.utils import translation

# The customer centre's signed-in contact's language, set at sign-in and by the switch.
CUSTOMER_LANGUAGE_KEY = "customer_language"


def supported(language: str | None) -> str:
    """`language` if the portal speaks it (its code as in LANGUAGES), else ""."""
    if not language:
        return ""
    language = language.lower()
    return language if language in dict(settings.LANGUAGES) else ""


def stored_language(request: HttpRequest) -> str:
    """The language the signed-in operator or customer chose, or "" when none was stored."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        chosen = supported(getattr(user, "language", ""))
        if chosen:
            return chosen
    session = getattr(request, "session", None)
    if session is not None:
        return supported(session.get(CUSTOMER_LANGUAGE_KEY))
    return ""


def recipient_language(*, email: str, customer=None) -> str:
    """The language of an e-mail to `email`: the operator's, else the customer contact's, else
    the portal's default. `customer` is the account the e-mail is about, asked first."""
    from accounts.models import User
    from linking.models import CustomerAccount

    chosen = (
        User.objects.filter(email__iexact=email, is_active=True)
        .values_list("language", flat=True)
        .first()
    )
    if chosen is None and customer is not None:
        # The consent address of a request may differ from the account's contact address:
        # the e-mail is still written to that customer.
        chosen = customer.contact_language
    if chosen is None:
        chosen = (
            CustomerAccount.objects.filter(contact_email__iexact=email)
            .exclude(contact_language="")
            .order_by("id")
            .values_list("contact_language", flat=True)
            .first()
        )
    return supported(chosen) or settings.LANGUAGE_CODE


class PreferredLanguageMiddleware:
    """After authentication: a stored choice overrides what LocaleMiddleware read from the
    browser (cookie or Accept-Language)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        chosen = stored_language(request)
        if chosen:
            translation.activate(chosen)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)


def language_remember(request: HttpRequest, language: str) -> None:
    """Store a language chosen with the switch for whoever is signed in: the operator, and the
    customer centre's contact (their session and their accounts)."""
    language = supported(language)
    if not language:
        return
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        from accounts.services import user_set_language

        user_set_language(actor=user, language=language)
    from linking.centre.views import customer_of

    customer = customer_of(request)
    if customer is not None:
        from linking.centre.services import contact_set_language

        contact_set_language(
            email=customer["email"], account_ids=customer["accounts"], language=language
        )
        request.session[CUSTOMER_LANGUAGE_KEY] = language
