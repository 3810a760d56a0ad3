from django.urls import path

from accounts.views import alert_users, crowd, qa, tokens
from labelplatform.routes import seed_path

urlpatterns = [
    # seed 000
    *seed_path("api/v1/login", crowd.LabelerLoginView, "labeler-login"),
    # seed 001
    *seed_path("api/v1/user/register/", alert_users.AlertUserRegisterView, "alert-user-register"),
    *seed_path("api/v1/user/login/", alert_users.AlertUserLoginView, "alert-user-login"),
    # seed 002
    *seed_path("user/get-current", qa.CurrentUserView, "qa-user-get-current"),
    *seed_path("user/list", qa.ExpertListView, "qa-user-list"),
    *seed_path("user/login", qa.LoginView, "qa-user-login"),
    *seed_path("user/logout", qa.LogoutView, "qa-user-logout"),
    *seed_path("user/register", qa.RegisterExpertView, "qa-user-register"),
    *seed_path("user/register-manager", qa.RegisterManagerView, "qa-user-register-manager"),
    # standard JWT pair
    path("api/token/", tokens.ObtainTokenPairView.as_view(), name="token-obtain"),
    path("api/token/refresh/", tokens.RefreshTokenView.as_view(), name="token-refresh"),
    path("api/token/blacklist/", tokens.BlacklistTokenView.as_view(), name="token-blacklist"),
    path("api/v1/me/", tokens.MeView.as_view(), name="me"),
]
