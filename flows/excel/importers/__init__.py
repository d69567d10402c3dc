"""The workbook kinds that import: one small module each."""

from .indicators import IndicatorsImporter
from .organisations import OrganisationsImporter
from .rectification import RectificationImporter
from .scores import ScoresImporter

IMPORTERS = {
    "organisations": OrganisationsImporter,
    "indicators": IndicatorsImporter,
    "scores": ScoresImporter,
    "rectification": RectificationImporter,
}
