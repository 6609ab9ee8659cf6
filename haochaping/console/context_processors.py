"""Template context for console pages: the user's membership (role and unit), unread messages."""

from haochaping.notifications.selectors import unread_count
from haochaping.organizations.selectors import membership_for


def console(request):
    if not request.path.startswith("/console/"):
        return {}  # citizen pages: no staff lookups
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    membership = membership_for(user)
    if membership is None:
        return {"membership": None}
    return {"membership": membership, "unread_messages": unread_count(user)}
