"""TEMPORARY: replaced at merge. The §11 document's model is ``TodayOut``."""

from pydantic import BaseModel, ConfigDict


class TodayOut(BaseModel):
    """TEMPORARY: replaced at merge."""

    model_config = ConfigDict(extra="allow")
