"""python -m linking.cloud.sandbox serve [--host 127.0.0.1] [--port 8010] [--threads 8]
python -m linking.cloud.sandbox migrate
python -m linking.cloud.sandbox seed-demo"""

import argparse
import os
import sys


def _setup():
    os.environ["DJANGO_SETTINGS_MODULE"] = "linking.cloud.sandbox.settings"
    import django

    django.setup()


def _migrate():
    from django.conf import settings
    from django.core.management import call_command

    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3"):
        os.makedirs(os.path.dirname(os.path.abspath(database["NAME"])), exist_ok=True)
    call_command("migrate", interactive=False, verbosity=0)


def _serve(host, port, threads):
    from gunicorn.app.base import BaseApplication

    from .wsgi import application

    class Server(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", 1)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("threads", threads)
            self.cfg.set("timeout", 660)
            self.cfg.set("graceful_timeout", 3)
            self.cfg.set("accesslog", None)
            self.cfg.set("loglevel", "warning")

        def load(self):
            return application

    from django.conf import settings

    print(f"Sandbox cloud: http://{host}:{port}/  (console: http://{host}:{port}/console/)")
    if settings.SANDBOX_CONTROL_TOKEN == settings.DEVELOPMENT_TOKEN:
        print("The control API uses the development token; set SANDBOX_CONTROL_TOKEN to change it.")
    sys.stdout.flush()
    Server().run()


def _seed_demo():
    from linking.cloud.demo import CONSOLE_PASSWORD

    from .demo import console_logins, seed_demo

    created = seed_demo()
    print(f"Sandbox cloud demo: {created} objects created.")
    print(f"  Sandbox console logins (password {CONSOLE_PASSWORD}):")
    for line in console_logins():
        print(f"    {line}")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m linking.cloud.sandbox")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="migrate the sandbox's database, then serve")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=int(os.environ.get("SANDBOX_PORT", 8010)))
    serve.add_argument("--threads", type=int, default=8)
    commands.add_parser("migrate", help="migrate the sandbox's database")
    commands.add_parser(
        "seed-demo", help="migrate, then add the demo accounts, keys and servers that are missing"
    )
    args = parser.parse_args(argv)
    _setup()
    _migrate()
    if args.command == "serve":
        _serve(args.host, args.port, args.threads)
    elif args.command == "seed-demo":
        _seed_demo()


if __name__ == "__main__":
    main()
