"""Invitations: a reseller's admin invites a person by e-mail, in a role.

The e-mail carries a link with a token. The token is derived, at delivery, from the e-mail's
outbox row and the secret key, so a second delivery of the same row carries the same link;
only its SHA-256 is stored on the invitation (never in history). A resend writes a new outbox
row, so a new token, and the old link dies. Accepting creates the membership through the
membership service (with its audit event); a person without an account first sets a password.

    pending ──accept──▶ accepted          (expired: pending past `expires_at`, at read time)
       └────revoke──▶ revoked
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from accounts.models import Invitation, Membership, Reseller, Role, User
from accounts.services import _require_admin, membership_add
from portal.errors import PortalError

_TOKEN_SALT = "accounts.invitation"  # noqa: S105 (a salt name, not a secret)
Status = Invitation.Status


def _token_for(notification_id: int) -> str:
    return salted_hmac(_TOKEN_SALT, f"invitation:{notification_id}", algorithm="sha256").hexdigest()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _queue_email(invitation: Invitation, *, actor: User) -> None:
    """Write the invitation's e-mail to the outbox and point the invitation at its token."""
    from linking.models import Notification
    from linking.tasks import notification_deliver_task
    from portal.publish import publish_many_on_commit

    notification = Notification(
        kind=Notification.Kind.MEMBER_INVITATION,
        to_email=invitation.email,
        context={
            "reseller_name": invitation.reseller.name,
            "role": invitation.role,
            "invited_by": str(actor),
        },
    )
    notification._change_reason = "queued"
    notification.save()
    invitation.notification_id = notification.pk
    invitation.token_hash = token_hash(_token_for(notification.pk))
    publish_many_on_commit(notification_deliver_task, [(notification.pk,)])


def _save(invitation: Invitation, *, actor: User | None, reason: str, fields=None) -> None:
    invitation._history_user = actor
    invitation._change_reason = reason
    invitation.save(update_fields=fields)


def _lock(*, reseller: Reseller, invitation_id: int) -> Invitation:
    return (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("reseller")
        .get(pk=invitation_id, reseller=reseller)
    )


@transaction.atomic
def invitation_create(*, actor: User, reseller: Reseller, email: str, role: str) -> Invitation:
    """Invite `email` to the reseller in `role` and queue the e-mail. Reseller admins (the page
    asks for the step-up first when the role can approve or administer)."""
    _require_admin(actor=actor, reseller=reseller)
    if role not in Role.values:
        raise ValueError(role)
    email = email.strip().lower()
    if Membership.objects.filter(reseller=reseller, user__email__iexact=email).exists():
        raise PortalError("ACC-M002", email=email, reseller=reseller.name)
    now = timezone.now()
    earlier = (
        Invitation.objects.select_for_update()
        .filter(reseller=reseller, email__iexact=email, status=Status.PENDING)
        .first()
    )
    if earlier is not None:
        if not earlier.is_expired(now):
            raise PortalError("ACC-I006", email=email, reseller=reseller.name)
        # An expired invitation makes way for the new one (one pending per address).
        earlier.status = Status.REVOKED
        earlier.decided_at = now
        earlier.decided_by = actor
        _save(earlier, actor=actor, reason="expired, replaced by a new invitation")
    invitation = Invitation(
        reseller=reseller,
        email=email,
        role=role,
        invited_by=actor,
        created_at=now,
        sent_at=now,
        expires_at=now + timedelta(days=settings.PORTAL_INVITATION_DAYS),
    )
    _queue_email(invitation, actor=actor)
    invitation._history_user = actor
    invitation._change_reason = f"invited as {role}"
    invitation.save()
    return invitation


@transaction.atomic
def invitation_resend(*, actor: User, reseller: Reseller, invitation_id: int) -> Invitation:
    """Send a pending (or expired) invitation again with a new link; the old link dies and the
    validity starts again. Reseller admins (step-up for roles that approve or administer)."""
    _require_admin(actor=actor, reseller=reseller)
    invitation = _lock(reseller=reseller, invitation_id=invitation_id)
    if invitation.status != Status.PENDING:
        raise PortalError("ACC-I007", email=invitation.email, status=invitation.status)
    now = timezone.now()
    _queue_email(invitation, actor=actor)
    invitation.sent_at = now
    invitation.expires_at = now + timedelta(days=settings.PORTAL_INVITATION_DAYS)
    invitation.times_sent += 1
    _save(
        invitation,
        actor=actor,
        reason="invitation sent again",
        fields=["token_hash", "notification_id", "sent_at", "expires_at", "times_sent"],
    )
    return invitation


@transaction.atomic
def invitation_revoke(*, actor: User, reseller: Reseller, invitation_id: int) -> Invitation:
    """Withdraw a pending invitation: its link stops working at once. Reseller admins."""
    _require_admin(actor=actor, reseller=reseller)
    invitation = _lock(reseller=reseller, invitation_id=invitation_id)
    if invitation.status != Status.PENDING:
        raise PortalError("ACC-I007", email=invitation.email, status=invitation.status)
    invitation.status = Status.REVOKED
    invitation.decided_at = timezone.now()
    invitation.decided_by = actor
    _save(
        invitation,
        actor=actor,
        reason="invitation revoked",
        fields=["status", "decided_at", "decided_by"],
    )
    return invitation


def _refusal(invitation: Invitation) -> PortalError | None:
    name = invitation.reseller.name
    if invitation.status == Status.REVOKED:
        return PortalError("ACC-I003", reseller=name)
    if invitation.status == Status.ACCEPTED:
        return PortalError("ACC-I004", reseller=name)
    if invitation.is_expired() or not invitation.reseller.is_live:
        when = invitation.expires_at.strftime("%Y-%m-%d %H:%M UTC")
        return PortalError("ACC-I002", reseller=name, when=when)
    return None


def invitation_resolve(token: str, *, lock: bool = False) -> Invitation:
    """The pending invitation a link's token opens, or a PortalError saying why not."""
    if not token or len(token) > 200:
        raise PortalError("ACC-I001")
    qs = Invitation.objects.select_related("reseller", "invited_by")
    if lock:
        qs = qs.select_for_update(of=("self",))
    invitation = qs.filter(token_hash=token_hash(token)).first()
    if invitation is None:
        raise PortalError("ACC-I001")
    if refusal := _refusal(invitation):
        raise refusal
    return invitation


def _accept(*, user: User, invitation: Invitation) -> Membership:
    if not constant_time_compare(user.email.lower(), invitation.email.lower()):
        raise PortalError("ACC-I005", email=user.email)
    membership = membership_add(
        actor=user,
        reseller=invitation.reseller,
        email=user.email,
        role=invitation.role,
        check_actor=False,
        reason=f"joined as {invitation.role}, invited by {invitation.invited_by}",
    )
    invitation.status = Status.ACCEPTED
    invitation.decided_at = timezone.now()
    invitation.decided_by = user
    _save(
        invitation,
        actor=user,
        reason="invitation accepted",
        fields=["status", "decided_at", "decided_by"],
    )
    return membership


@transaction.atomic
def invitation_accept(
    *, user: User, token: str = "", invitation_id: int | None = None
) -> Membership:
    """The signed-in `user` accepts an invitation made to their e-mail address, opened by its
    link (`token`) or from their list of invitations (`invitation_id`): they become a member."""
    if invitation_id is not None:
        invitation = (
            Invitation.objects.select_for_update(of=("self",))
            .select_related("reseller", "invited_by")
            .filter(pk=invitation_id, email__iexact=user.email)
            .first()
        )
        if invitation is None:
            raise PortalError("ACC-I001")
        if refusal := _refusal(invitation):
            raise refusal
    else:
        invitation = invitation_resolve(token, lock=True)
    return _accept(user=user, invitation=invitation)


@transaction.atomic
def invitation_accept_new(
    *, token: str, password: str, first_name: str = "", last_name: str = ""
) -> User:
    """A person without an account accepts by setting a password (already checked against the
    password policy by the form): their user is created and joins the reseller."""
    invitation = invitation_resolve(token, lock=True)
    if User.objects.filter(email__iexact=invitation.email).exists():
        raise PortalError("ACC-I008", email=invitation.email)
    user = User(
        username=invitation.email,
        email=invitation.email,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
    )
    user.set_password(password)
    user._history_user = None
    user._change_reason = f"created by accepting an invitation to {invitation.reseller.name}"
    user.save()
    _accept(user=user, invitation=invitation)
    return user


def invitation_token_for_delivery(notification) -> str | None:
    """The token the invitation e-mail `notification` carries, or None when the invitation was
    resent (a newer e-mail), revoked, accepted or has expired: then nothing is sent."""
    invitation = Invitation.objects.filter(
        notification_id=notification.pk, status=Status.PENDING
    ).first()
    if invitation is None or invitation.is_expired():
        return None
    token = _token_for(notification.pk)
    if not constant_time_compare(invitation.token_hash, token_hash(token)):
        return None
    return token


# --- reads ------------------------------------------------------------------------------------


def invitation_list_pending(*, reseller: Reseller) -> QuerySet[Invitation]:
    """The reseller's pending invitations (expired ones included, marked by the page), newest
    first, with who invited; one query."""
    return (
        Invitation.objects.filter(reseller=reseller, status=Status.PENDING)
        .select_related("invited_by")
        .order_by("-sent_at", "-id")
    )


def invitation_list_for_user(*, user: User) -> QuerySet[Invitation]:
    """Open invitations to the user's e-mail address, from live resellers; one query."""
    return (
        Invitation.objects.filter(
            email__iexact=user.email,
            status=Status.PENDING,
            expires_at__gt=timezone.now(),
            reseller__status__in=Reseller.LIVE_STATUSES,
        )
        .select_related("reseller", "invited_by")
        .order_by("-sent_at", "-id")
    )


def access_invitation(*, reseller: Reseller, pk: int) -> Invitation:
    """An invitation of the current reseller; another reseller's is a 404."""
    from django.http import Http404

    invitation = (
        Invitation.objects.select_related("reseller").filter(reseller=reseller, pk=pk).first()
    )
    if invitation is None:
        raise Http404("No such invitation.")
    return invitation


def on_user_logged_in(sender, request=None, user=None, **kwargs) -> None:
    """After sign-in, a person with open invitations is told where to accept them."""
    if request is None or user is None or not getattr(user, "email", ""):
        return
    from django.contrib import messages
    from django.utils.translation import ngettext

    count = invitation_list_for_user(user=user).count()
    if count and hasattr(request, "_messages"):
        text = ngettext(
            "You have an open invitation to join a reseller: see Invitations in your account menu.",
            "You have %(count)d open invitations to join resellers: see Invitations in your "
            "account menu.",
            count,
        ) % {"count": count}
        messages.info(request, text)
