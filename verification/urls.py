"""The verification app's HTTP routes: seed 003's `/verify` and its job resource."""

from labelplatform.routes import seed_path
from verification.views import VerificationJobView, VerifyView

app_name = "verification"

urlpatterns = [
    *seed_path("verify", VerifyView, "verify"),
    *seed_path("verify/<str:job_id>", VerificationJobView, "job"),
]
