"""A bare django-ninja endpoint: parse the same JSON, insert one row, return 201. No auth, no rules."""

from django.utils import timezone
from ninja import NinjaAPI

from bench.baseline.models import BareRating
from haochaping.intake.api import EvaluationIn

bare = NinjaAPI(urls_namespace="bench", docs_url=None, openapi_url=None)


@bare.post("/bare", response={201: dict})
def bare_rating(request, payload: EvaluationIn):
    row = BareRating.objects.create(
        project_no=payload.project_no,
        service_no=payload.service_no,
        level=int(payload.level),
        reasons=payload.reasons,
        text=payload.text,
        channel=int(payload.channel),
        evaluated_at=payload.evaluated_at or timezone.now(),
        **{k: (int(v) if v is not None else None) for k, v in payload.dimensions.dict().items()},
    )
    return 201, {"id": row.pk}


urlpatterns = [*bare.urls[0]]
