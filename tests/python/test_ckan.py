"""ydx's CKAN Action API driven by the real `ckanapi` client, as CKAN tooling would."""

import json
import os
import shutil
import subprocess
import sys
import uuid
from datetime import date, datetime, timedelta, timezone

import ckanapi
import openpyxl
import pytest

CSV_V1 = "名称,住所,緯度,経度,収容人数\n山口小学校,山口市亀山町1,34.18,131.47,300\n湯田中学校,山口市湯田温泉2,34.16,131.45,500\n"
CSV_V2 = CSV_V1 + "大内公民館,山口市大内御堀3,34.17,131.50,120\n"


def new_name(prefix="pytest"):
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def dataset_dict(name, org="yamaguchi-city"):
    return {
        "name": name,
        "title": f"テスト用データセット {name}",
        "notes": "ckanapi から作成したテスト用のデータセットです。",
        "owner_org": org,
        "license_id": "cc-by-4.0",
        "tags": [{"name": "テスト"}],
        "extras": [
            {"key": "municipality", "value": "35203"},
            {"key": "frequency", "value": "monthly"},
        ],
    }


def test_status_and_site_read(ckan):
    status = ckan.action.status_show()
    assert status["ckan_version"].startswith("2.")
    assert ckan.action.site_read() is True


def test_japanese_search_finds_partial_words_with_facets(ckan):
    r = ckan.action.package_search(
        q="避難", rows=100, **{"facet.field": ["organization", "tags", "res_format", "municipality"]}
    )
    titles = [d["title"] for d in r["results"]]
    assert r["count"] >= 1
    assert any("指定緊急避難場所一覧" in t for t in titles), titles
    assert r["count"] == len(r["results"]) or len(r["results"]) == 100
    # Facets in both CKAN forms, counted over the matching datasets.
    assert r["facets"]["res_format"].get("CSV", 0) >= 1
    orgs = r["search_facets"]["organization"]["items"]
    assert orgs and all(i["count"] >= 1 and i["display_name"] for i in orgs)
    assert sum(i["count"] for i in orgs) == r["count"]


def test_fq_filters_and_get_requests(url):
    # get_only sends every parameter as a query string, as old clients do.
    with ckanapi.RemoteCKAN(url, get_only=True) as ckan:
        r = ckan.action.package_search(fq='tags:"防災" AND res_format:CSV', rows=1000)
        assert r["count"] >= 1
        for d in r["results"]:
            assert "防災" in [t["name"] for t in d["tags"]]
            assert "CSV" in [x["format"] for x in d["resources"]]
        with pytest.raises(ckanapi.SearchQueryError):
            ckan.action.package_search(fq="tags:防*")


def test_fq_modified_range(ckan):
    every = ckan.action.package_search(rows=1000, sort="metadata_modified asc")["results"]
    assert len(every) >= 3
    times = [d["metadata_modified"] for d in every]
    mid = times[len(times) // 2]
    # CKAN's stored form with a Z, as ckanext-harvest sends it; inclusive, then exclusive.
    since = ckan.action.package_search(fq=f"metadata_modified:[{mid}Z TO *]", rows=1000)
    assert since["count"] == sum(1 for t in times if t >= mid)
    assert all(d["metadata_modified"] >= mid for d in since["results"])
    after = ckan.action.package_search(fq=f"metadata_modified:{{{mid}Z TO *]", rows=1000)
    assert after["count"] == sum(1 for t in times if t > mid)
    before = ckan.action.package_search(fq=f"metadata_modified:[* TO {mid}Z}}", rows=1000)
    assert before["count"] + since["count"] == len(every)
    recent = ckan.action.package_search(fq="metadata_modified:[NOW-1DAY/DAY TO NOW]", rows=0)
    yesterday = (datetime.now(timezone.utc) - timedelta(days=1)).strftime("%Y-%m-%d")
    assert recent["count"] == sum(1 for t in times if t >= yesterday)
    assert ckan.action.package_search(fq="metadata_created:[* TO NOW-10YEARS]")["count"] == 0


def test_fq_negation_and_alternatives(ckan):
    total = ckan.action.package_search(rows=0)["count"]
    bousai = ckan.action.package_search(fq='tags:"防災"', rows=0)["count"]
    assert 0 < bousai < total
    others = ckan.action.package_search(fq='-tags:"防災"', rows=1000)
    assert others["count"] == total - bousai
    assert all("防災" not in [t["name"] for t in d["tags"]] for d in others["results"])
    # ckanext-harvest's organisation filters: "organization:a OR organization:b", and one
    # "-organization:x" term per excluded organisation.
    orgs = ckan.action.package_search(rows=0, **{"facet.field": ["organization"]})["facets"]["organization"]
    a, b = sorted(orgs)[:2]
    either = ckan.action.package_search(fq=f"organization:{a} OR organization:{b}", rows=0)
    assert either["count"] == orgs[a] + orgs[b]
    assert ckan.action.package_search(fq=f"organization:({a} OR {b})", rows=0)["count"] == either["count"]
    rest = ckan.action.package_search(fq=f"-organization:{a} -organization:{b}", rows=0)
    assert rest["count"] == total - either["count"]


def test_package_show_and_resource_show(ckan):
    r = ckan.action.package_search(q="避難", rows=1)
    name = r["results"][0]["name"]
    d = ckan.action.package_show(id=name)
    assert d["name"] == name
    assert d["type"] == "dataset"
    assert d["organization"]["name"] == d["owner_org"]
    assert d["num_resources"] == len(d["resources"]) >= 1
    res = d["resources"][0]
    assert res["package_id"] == d["id"]
    assert res["url"].startswith("http")
    shown = ckan.action.resource_show(id=res["id"])
    assert shown["id"] == res["id"]
    # By id as well as by name.
    assert ckan.action.package_show(id=d["id"])["name"] == name


def test_datastore_search(ckan):
    d = ckan.action.package_show(id="population-by-municipality")
    res = [r for r in d["resources"] if r["datastore_active"]][0]
    r = ckan.action.datastore_search(resource_id=res["id"], limit=5, sort="人口 desc")
    assert r["total"] == 19
    assert len(r["records"]) == 5
    assert [f["id"] for f in r["fields"]][0] == "_id"
    assert r["records"][0]["市町名"] == "下関市"
    assert "offset=5" in r["_links"]["next"]
    r = ckan.action.datastore_search(resource_id=res["id"], filters={"市町名": "萩市"})
    assert r["total"] == 1


def test_not_found(ckan):
    with pytest.raises(ckanapi.NotFound):
        ckan.action.package_show(id=new_name("missing"))
    with pytest.raises(ckanapi.NotFound):
        ckan.action.resource_show(id="no-such-resource")


def test_dump_all_datasets(ckan, url, tmp_path):
    names = ckan.action.package_list()
    assert len(names) >= 10
    out = tmp_path / "datasets.jsonl"
    # The CLI starts its workers as `ckanapi` from PATH: the script installed beside Python.
    bindir = os.path.dirname(sys.executable)
    env = dict(os.environ, PATH=bindir + os.pathsep + os.environ.get("PATH", ""))
    cli = shutil.which("ckanapi", path=env["PATH"])
    assert cli, "the ckanapi command is not installed"
    subprocess.run(
        [cli, "dump", "datasets", "--all", "-q", "-p", "2", "-r", url, "-O", str(out)],
        check=True,
        timeout=300,
        env=env,
    )
    dumped = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines() if line]
    assert sorted(d["name"] for d in dumped) == sorted(names)
    assert all(d["resources"] is not None and d["title"] for d in dumped)
    # The same through package_list + package_show by hand.
    for name in names[:5]:
        assert ckan.action.package_show(id=name)["name"] == name


def test_create_upload_and_version(city, ckan, http, tmp_path):
    name = new_name()
    d = city.action.package_create(**dataset_dict(name))
    try:
        assert d["name"] == name and d["owner_org"] == "yamaguchi-city"
        extras = {e["key"]: e["value"] for e in d["extras"]}
        assert extras["municipality"] == "35203" and extras["frequency"] == "monthly"

        path = tmp_path / "避難所.csv"
        path.write_text(CSV_V1, encoding="utf-8")
        with open(path, "rb") as f:
            res = city.action.resource_create(package_id=d["id"], name="避難所", upload=f)
        assert res["url_type"] == "upload"
        assert res["format"] == "CSV"
        assert res["datastore_active"] is True
        got = http.get(res["url"])
        assert got.status_code == 200
        assert got.content == CSV_V1.encode("utf-8")
        assert got.headers["Content-Disposition"].startswith("attachment;")

        # A new upload is a new version; the first stays downloadable.
        path.write_text(CSV_V2, encoding="utf-8")
        with open(path, "rb") as f:
            res2 = city.action.resource_update(id=res["id"], upload=f)
        assert res2["version"] == 2
        assert http.get(res2["url"]).content == CSV_V2.encode("utf-8")
        base = res2["url"].split("/download/")[0]
        assert http.get(f"{base}/version/1/download").content == CSV_V1.encode("utf-8")
        r = ckan.action.datastore_search(resource_id=res["id"], q="大内")
        assert r["total"] == 1

        # A round trip through package_update keeps everything.
        shown = city.action.package_show(id=name)
        shown["title"] = "更新したタイトル"
        updated = city.action.package_update(**shown)
        assert updated["title"] == "更新したタイトル"
        assert [r["id"] for r in updated["resources"]] == [res["id"]]
        assert updated["extras"] == shown["extras"]
        found = ckan.action.package_search(q="更新したタイトル")
        assert name in [x["name"] for x in found["results"]]
    finally:
        city.action.package_delete(id=name)
    with pytest.raises(ckanapi.NotFound):
        ckan.action.package_show(id=name)


def test_xlsx_upload_is_queried_with_datastore_search(city, ckan, http, tmp_path):
    """An Excel workbook uploaded with ckanapi becomes a table like a CSV."""
    name = new_name()
    d = city.action.package_create(**dataset_dict(name))
    try:
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = "避難所"
        ws.append(["名称", "住所", "緯度", "経度", "収容人数", "開設日"])
        ws.append(["山口小学校", "山口市亀山町1", 34.18, 131.47, 300, date(2024, 4, 1)])
        ws.append(["湯田中学校", "山口市湯田温泉2", 34.16, 131.45, 500, date(2023, 10, 2)])
        ws.append(["大内公民館", "山口市大内御堀3", 34.17, 131.5, 120, date(2022, 1, 31)])
        path = tmp_path / "避難所.xlsx"
        wb.save(path)
        with open(path, "rb") as f:
            res = city.action.resource_create(package_id=d["id"], name="避難所（Excel）", upload=f)
        assert res["format"] == "XLSX"
        assert res["datastore_active"] is True
        assert res["sheet"] == "避難所"
        assert res["row_count"] == 3
        assert http.get(res["url"]).content == path.read_bytes()

        r = ckan.action.datastore_search(resource_id=res["id"], sort="収容人数 desc", limit=2)
        assert r["total"] == 3
        types = {f["id"]: f["type"] for f in r["fields"]}
        assert types["収容人数"] == "int"
        assert types["緯度"] == "numeric" and types["開設日"] == "date"
        first = r["records"][0]
        assert first["名称"] == "湯田中学校"
        assert first["収容人数"] == 500
        assert first["開設日"] == "2023-10-02"
        r = ckan.action.datastore_search(resource_id=res["id"], filters={"名称": "大内公民館"})
        assert r["total"] == 1 and r["records"][0]["経度"] == 131.5

        # A file that is not a workbook is refused, and nothing is added.
        broken = tmp_path / "壊れた.xlsx"
        broken.write_bytes(b"PK\x03\x04 not a workbook")
        with open(broken, "rb") as f, pytest.raises(ckanapi.ValidationError) as err:
            city.action.resource_create(package_id=d["id"], name="壊れた", upload=f)
        assert "XLSX" in json.dumps(err.value.error_dict, ensure_ascii=False)
        assert len(ckan.action.package_show(id=name)["resources"]) == 1
    finally:
        city.action.package_delete(id=name)


def test_write_refused_without_token(ckan):
    with pytest.raises(ckanapi.NotAuthorized):
        ckan.action.package_create(**dataset_dict(new_name()))


def test_write_refused_with_another_organisations_token(url, other_token, city):
    with ckanapi.RemoteCKAN(url, apikey=other_token) as hagi:
        with pytest.raises(ckanapi.NotAuthorized):
            hagi.action.package_create(**dataset_dict(new_name()))
        name = new_name()
        city.action.package_create(**dataset_dict(name))
        try:
            with pytest.raises(ckanapi.NotAuthorized):
                hagi.action.package_patch(id=name, title="他の組織による変更")
            with pytest.raises(ckanapi.NotAuthorized):
                hagi.action.package_delete(id=name)
        finally:
            city.action.package_delete(id=name)


def test_duplicate_name_is_a_validation_error(city):
    name = new_name()
    city.action.package_create(**dataset_dict(name))
    try:
        with pytest.raises(ckanapi.ValidationError) as e:
            city.action.package_create(**dataset_dict(name))
        assert e.value.error_dict["name"] == ["That URL is already in use."]
        with pytest.raises(ckanapi.ValidationError) as e:
            bad = dataset_dict(new_name())
            bad["title"] = ""
            city.action.package_create(**bad)
        assert "title" in e.value.error_dict
    finally:
        city.action.package_delete(id=name)


def test_organizations_groups_tags(ckan):
    orgs = ckan.action.organization_list(all_fields=True)
    assert len([o for o in orgs if o["name"].endswith(("-city", "-town"))]) == 19
    city = ckan.action.organization_show(id="yamaguchi-city", include_datasets=True)
    assert city["package_count"] == len(city["packages"]) >= 1
    groups = ckan.action.group_list()
    assert groups
    assert ckan.action.group_show(id=groups[0])["name"] == groups[0]
    assert "防災" in ckan.action.tag_list()
