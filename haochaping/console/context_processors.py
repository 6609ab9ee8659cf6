"""Template context for console pages: the user's membership (role and unit)."""

from haochaping.organizations.selectors import membership_for


def console(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"membership": membership_for(user)}
