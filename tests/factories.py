"""Plain rows for tests. State that matters (requests, links) is built through services."""

import factory

from accounts.models import User
from linking.models import CustomerAccount, Region, Service


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.Sequence(lambda n: f"user{n}@example.com")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"User{n}")
    password = factory.PostGenerationMethodCall("set_password", "pass-word-1234")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"region-{n}")
    name = factory.Sequence(lambda n: f"Region {n}")


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"SVC{n}")
    name = factory.Sequence(lambda n: f"Service {n}")
    sensitive = False


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomerAccount
        skip_postgeneration_save = True

    # Valid cloud identities (linking.identity): a 32-hex domain id and a sign-in name.
    account_id = factory.Sequence(lambda n: f"{0xC0FFEE << 104 | n:032x}")
    account_name = factory.Sequence(lambda n: f"customer-{n:04d}")
    display_name = factory.Sequence(lambda n: f"Customer {n} Ltd")
    contact_email = factory.Sequence(lambda n: f"it{n}@customer.example")

    @factory.post_generation
    def enabled_regions(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.regions.set(extracted)
