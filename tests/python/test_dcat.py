"""ydx's DCAT-AP documents parsed by rdflib: the paged catalog and each dataset, in Turtle,
JSON-LD and RDF/XML, must carry the same graph."""

import ckanapi
import pytest
from rdflib import RDF, Graph, Namespace, URIRef
from rdflib.compare import isomorphic

DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCT = Namespace("http://purl.org/dc/terms/")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")

FORMATS = {"ttl": "turtle", "jsonld": "json-ld", "rdf": "xml"}
MEDIA_TYPES = {
    "ttl": "text/turtle",
    "jsonld": "application/ld+json",
    "rdf": "application/rdf+xml",
}


def fetch(http, url, ext):
    r = http.get(url)
    assert r.status_code == 200, (url, r.status_code, r.text[:300])
    assert r.headers["Content-Type"].split(";")[0] == MEDIA_TYPES[ext]
    g = Graph()
    g.parse(data=r.content.decode("utf-8"), format=FORMATS[ext], publicID=url)
    return g


def normalised(g, ext):
    """The graph with the page links of `/catalog.{ext}` written syntax-neutrally: each
    syntax's Hydra view links to pages in that same syntax."""
    marker = f"/catalog.{ext}?"

    def n(term):
        if isinstance(term, URIRef) and marker in term:
            return URIRef(term.replace(marker, "/catalog.PAGE?"))
        return term

    out = Graph()
    for s, p, o in g:
        out.add((n(s), p, n(o)))
    return out


def test_catalog_in_three_syntaxes_is_one_graph(url, http):
    graphs = {
        ext: normalised(fetch(http, f"{url}/catalog.{ext}", ext), ext) for ext in FORMATS
    }
    counts = {ext: len(g) for ext, g in graphs.items()}
    assert len(set(counts.values())) == 1, counts
    assert isomorphic(graphs["ttl"], graphs["jsonld"])
    assert isomorphic(graphs["ttl"], graphs["rdf"])
    g = graphs["ttl"]
    catalogs = list(g.subjects(RDF.type, DCAT.Catalog))
    assert len(catalogs) == 1
    datasets = set(g.subjects(RDF.type, DCAT.Dataset))
    assert datasets
    assert datasets == set(g.objects(catalogs[0], DCAT.dataset))
    for d in datasets:
        assert g.value(d, DCT.title) is not None
        assert g.value(d, DCT.publisher) is not None


def test_catalog_pages_cover_every_public_dataset(url, http):
    with ckanapi.RemoteCKAN(url) as ckan:
        total = len(ckan.action.package_list())
    seen = set()
    page_url = f"{url}/catalog.ttl"
    pages = 0
    while page_url:
        g = fetch(http, page_url, "ttl")
        pages += 1
        catalog = next(g.subjects(RDF.type, DCAT.Catalog))
        assert int(g.value(catalog, HYDRA.totalItems)) == total
        view = g.value(catalog, HYDRA.view)
        assert (view, RDF.type, HYDRA.PartialCollectionView) in g
        assert g.value(view, HYDRA.first) is not None
        assert g.value(view, HYDRA.last) is not None
        seen |= set(g.subjects(RDF.type, DCAT.Dataset))
        nxt = g.value(view, HYDRA.next)
        page_url = str(nxt) if nxt is not None else None
        assert pages < 1000
    assert len(seen) == total


def test_each_dataset_in_three_syntaxes(url, http):
    with ckanapi.RemoteCKAN(url) as ckan:
        names = ckan.action.package_list()[:5] + ["bear-sightings"]
        for name in names:
            d = ckan.action.package_show(id=name)
            graphs = {
                ext: fetch(http, f"{url}/dataset/{name}.{ext}", ext) for ext in FORMATS
            }
            counts = {ext: len(g) for ext, g in graphs.items()}
            assert len(set(counts.values())) == 1, (name, counts)
            assert isomorphic(graphs["ttl"], graphs["jsonld"]), name
            assert isomorphic(graphs["ttl"], graphs["rdf"]), name
            g = graphs["ttl"]
            subject = URIRef(f"{url}/dataset/{d['id']}")
            assert (subject, RDF.type, DCAT.Dataset) in g, name
            distributions = set(g.objects(subject, DCAT.distribution))
            assert len(distributions) == len(d["resources"]), name
            for dist in distributions:
                assert g.value(dist, DCAT.downloadURL) is not None


def test_unknown_dataset_is_404(url, http):
    assert http.get(f"{url}/dataset/no-such-dataset-xyz.ttl").status_code == 404


@pytest.mark.parametrize("path", ["/sitemap.xml", "/robots.txt"])
def test_crawler_files(url, http, path):
    r = http.get(f"{url}{path}")
    assert r.status_code == 200
    if path == "/sitemap.xml":
        assert "<urlset" in r.text or "<sitemapindex" in r.text
        assert f"{url}/dataset/population-by-municipality" in r.text
