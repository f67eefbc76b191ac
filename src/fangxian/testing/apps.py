from django.apps import AppConfig


class TestingConfig(AppConfig):
    name = "fangxian.testing"
    label = "testing"
    verbose_name = "核酸检测"

    def ready(self) -> None:
        from fangxian.testing import jobs  # noqa: F401  (registers the partition, retention and lead sweeps)
