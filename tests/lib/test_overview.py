"""aeris_lib.overview: the AERIS view's data: outcomes per gas and hour, versions gone wrong, counts.
Read from a real ledger through the view's own login: tests/plugins/ui/test_app.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from aeris_lib.overview import OUTCOME_LABELS, Cell, Overview

pytestmark = pytest.mark.unit  # no service: `make unit` runs it

END = datetime(2024, 9, 2, 0, tzinfo=UTC)


def test_every_ledger_outcome_has_a_label_an_operator_reads():
    from aeris_lib.db.ledger import OUTCOMES

    assert set(OUTCOMES) | {"success", "unchanged", "kept_standard", "quality_failed"} <= set(OUTCOME_LABELS)
    assert OUTCOME_LABELS["kept_standard"] == OUTCOME_LABELS["unchanged"] == "unchanged"


def test_counts_per_gas_and_wrong_versions_newest_first():
    hours = [END - timedelta(hours=n) for n in range(1, 4)]
    view = Overview(END - timedelta(hours=24), END, ["NO2", "O3"], hours)
    view.cells = {
        ("NO2", hours[0]): Cell("success", "loaded"),
        ("NO2", hours[1]): Cell("wrong_version", "wrong version", "V03 lists nothing; V04 does"),
        ("NO2", hours[2]): Cell("wrong_version", "wrong version", "older"),
        ("O3", hours[0]): Cell("failed", "failed"),
    }
    assert view.counts("NO2") == {"loaded": 1, "wrong version": 2} and view.counts("O3") == {"failed": 1}
    assert [(gas, hour) for gas, hour, _ in view.wrong_versions()] == [("NO2", hours[1]), ("NO2", hours[2])]
