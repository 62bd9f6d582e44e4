"""What click counting relies on in the template: counters that can be read where they are
shown, and request markers that outlive every record the stream can still hand out."""

from __future__ import annotations

from stack_template import StackTemplate

from shortener.clicks.store import MARKER_LIFETIME


def test_request_markers_outlive_the_streams_retention(dev: StackTemplate) -> None:
    # A replay or a DLQ redrive re-reads records the stream still holds: a marker gone before
    # its record would count that record again.
    retention_hours = dev.props("ClicksStream")["RetentionPeriodHours"]
    assert retention_hours < MARKER_LIFETIME.total_seconds() / 3600


def test_the_api_reads_the_click_counters(dev: StackTemplate) -> None:
    api = dev.props("ApiFunction")
    assert api["Environment"]["Variables"]["CLICKS_TABLE_NAME"] == {"Ref": "ClicksTable"}
    clicks = dev.props("ClicksFunction")["Environment"]["Variables"]
    assert clicks["CLICKS_TABLE_NAME"] == {"Ref": "ClicksTable"}
    assert set(clicks) >= {"CLICK_LOG_FIELDS", "VISITOR_SECRET_ARN", "CLICK_RETENTION_DAYS"}
