from django.core.management.base import BaseCommand, CommandError

from flows.models import Organisation
from flows.services.synthetic import synthetic_tree


class Command(BaseCommand):
    help = "Add a synthetic organisation tree of N organisations (up to 100,000 and more) for benchmarks."

    def add_arguments(self, parser):
        parser.add_argument("n", type=int)
        parser.add_argument("--under", help="code of the organisation to put the new subtree under (default: the root)")
        parser.add_argument("--prefix", default="SYN", help="code prefix of the generated organisations")
        parser.add_argument("--people", action="store_true", help="also a secretary and leader in charge for each")

    def handle(self, *args, n, under, prefix, people, **options):
        if Organisation.objects.filter(code__startswith=f"{prefix}-").exists():
            raise CommandError(f"organisations with the prefix {prefix}- exist already; choose another --prefix")
        parent = None
        if under:
            parent = Organisation.objects.filter(code=under).first()
            if parent is None:
                raise CommandError(f"no organisation with the code {under}")
        else:
            parent = Organisation.objects.filter(depth=1).first()
        count = synthetic_tree(n=n, under=parent, prefix=prefix, people=people)
        self.stdout.write(f"created {count} organisations")
