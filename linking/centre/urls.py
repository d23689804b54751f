from django.urls import path

from linking.centre import views

urlpatterns = [
    path("", views.home, name="home"),
    path("sign-in/", views.sign_in, name="sign-in"),
    path("sign-in/code/", views.enter_code, name="code"),
    path("sign-out/", views.sign_out, name="sign-out"),
    path("links/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("requests/<int:pk>/decide/", views.decide, name="decide"),
    path("receipts/<str:reference>/download/", views.receipt_download, name="receipt-download"),
]
