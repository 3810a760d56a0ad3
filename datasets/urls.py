"""The datasets app's HTTP routes (seed endpoints through `labelplatform.routes.seed_path`, then pages)."""

app_name = "datasets"

urlpatterns: list = []
