"""The workbook kinds that import: one small module each."""

from flows.excel.importers.contacts import ContactsImporter
from flows.excel.importers.indicators import IndicatorsImporter
from flows.excel.importers.organisations import OrganisationsImporter
from flows.excel.importers.rectification import RectificationImporter
from flows.excel.importers.scores import ScoresImporter
from flows.excel.importers.social import SocialImporter

IMPORTERS = {
    "organisations": OrganisationsImporter,
    "indicators": IndicatorsImporter,
    "scores": ScoresImporter,
    "rectification": RectificationImporter,
    "social": SocialImporter,
    "contacts": ContactsImporter,
}
