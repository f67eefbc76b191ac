from django.apps import AppConfig


class TestingConfig(AppConfig):
    name = "fangxian.testing"
    label = "testing"
    verbose_name = "核酸检测"
