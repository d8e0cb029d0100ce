"""recsys_helpers.data.retailrocket: the RetailRocket readers on small files written in its format."""

from __future__ import annotations

import pytest

from recsys_helpers.data import load_retailrocket_categories, load_retailrocket_events

EVENTS_CSV = """timestamp,visitorid,event,itemid,transactionid
1433221332117,257597,view,355908,
1433224214164,992329,view,248676,
1433221999827,257597,addtocart,355908,
1433222000000,257597,transaction,355908,4000
1433221955914,257597,view,111016,
1433230000000,257597,view,111016,
1433223236124,992329,addtocart,248676,
"""


@pytest.fixture
def events_file(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text(EVENTS_CSV, encoding="utf-8")
    return path


def test_retailrocket_reader(events_file):
    events, visitors, items = load_retailrocket_events(events_file)
    assert visitors.tolist() == [257597, 992329] and items.tolist() == [111016, 248676, 355908]
    assert list(events.columns) == ["user_id", "session_id", "position", "day", "hour", "timestamp", "item_id",
                                    "event", "transaction_id", "repurchase_visit"]
    first = events[events["user_id"] == 0]
    assert first["event"].tolist() == ["view", "view", "addtocart", "transaction", "view"]
    assert first["timestamp"].iloc[0] == 1433221332 and first["hour"].iloc[0] == 5
    # 257597: four events within 30 minutes, then one 2 h later -> two sessions
    assert first["session_id"].tolist() == [0, 0, 0, 0, 1]
    assert first["position"].tolist() == [0, 1, 1, 1, 0]
    assert first["transaction_id"].tolist() == [-1, -1, -1, 4000, -1]
    assert items[first["item_id"].iloc[1]] == 111016 and items[first["item_id"].iloc[0]] == 355908
    assert events["day"].min() == 0 and not events["repurchase_visit"].any()


def test_retailrocket_reader_options_and_errors(events_file, tmp_path):
    events, _, items = load_retailrocket_events(events_file, min_item_events=3)
    assert items.tolist() == [355908] and len(events) == 3  # the only item with 3 events
    assert len(load_retailrocket_events(events_file, max_rows=2)[0]) == 2
    bad = tmp_path / "bad.csv"
    bad.write_text("timestamp,visitorid,event,itemid,transactionid\n1,2,click,3,\n", encoding="utf-8")
    with pytest.raises(ValueError, match="click"):
        load_retailrocket_events(bad)
    bad.write_text("time,visitor\n1,2\n", encoding="utf-8")
    with pytest.raises(ValueError, match="missing"):
        load_retailrocket_events(bad)


def test_retailrocket_categories(tmp_path):
    part1, part2 = tmp_path / "item_properties_part1.csv", tmp_path / "item_properties_part2.csv"
    part1.write_text("timestamp,itemid,property,value\n1435460400000,355908,categoryid,1173\n"
                     "1435460400000,355908,available,1\n1435460400000,248676,categoryid,9\n", encoding="utf-8")
    part2.write_text("timestamp,itemid,property,value\n1439089200000,355908,categoryid,491\n"
                     "1431226800000,248676,790,n5424.000\n", encoding="utf-8")
    codes = load_retailrocket_categories([part1, part2], [111016, 248676, 355908])
    # latest categoryid of 355908 is 491; categories 9 < 491 get codes 0 and 1; 111016 has none
    assert codes.tolist() == [-1, 0, 1]
