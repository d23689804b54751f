from accounts.current import get_membership, get_memberships


def reseller(request):
    """The current membership, the others to switch to, and the role's permissions."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    membership = get_membership(request)
    return {
        "current_membership": membership,
        "current_reseller": membership.reseller if membership else None,
        "all_memberships": get_memberships(request),
        "reseller_perms": getattr(request, "reseller_perms", set()),
    }
