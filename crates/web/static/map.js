// The map component: Leaflet with a configurable tile layer (地理院タイル by default) and the
// municipal boundaries drawn as a vector layer, so the map is useful with no tile server.
// Any element with class "map" and data-boundaries becomes a map; data-points adds a
// GeoJSON layer of points (e.g. a dataset's rows) on top.
(function () {
  "use strict";
  function init(el) {
    if (!window.L || el.dataset.ready) return;
    el.dataset.ready = "1";
    var map = L.map(el, { scrollWheelZoom: false });
    map.attributionControl.setPrefix(false);
    var tileUrl = el.dataset.tileUrl;
    if (tileUrl) {
      L.tileLayer(tileUrl, { attribution: el.dataset.tileAttribution || "", maxZoom: 18 }).addTo(map);
    }
    map.attributionControl.addAttribution(el.dataset.boundaryAttribution || "");
    var selected = el.dataset.selected || "";
    fetch(el.dataset.boundaries).then(function (r) { return r.json(); }).then(function (fc) {
      var layer = L.geoJSON(fc, {
        style: function (f) {
          var on = selected && f.properties.code === selected;
          return { color: "#0b5394", weight: on ? 3 : 1.5, fillColor: on ? "#0b5394" : "#9ec5e8", fillOpacity: on ? 0.35 : 0.2 };
        },
        onEachFeature: function (f, l) {
          var p = f.properties;
          var name = document.documentElement.lang === "en" ? p.name_en : p.name_ja;
          l.bindTooltip(name);
        }
      }).addTo(map);
      map.fitBounds(layer.getBounds());
      el.dispatchEvent(new CustomEvent("ydx:boundaries", { detail: { map: map } }));
      if (el.dataset.points) {
        fetch(el.dataset.points).then(function (r) { return r.json(); }).then(function (pts) {
          var pl = L.geoJSON(pts, {
            pointToLayer: function (f, ll) {
              return L.circleMarker(ll, { radius: 6, color: "#8a1c00", weight: 2, fillColor: "#ff7043", fillOpacity: 0.9 });
            },
            onEachFeature: function (f, l) {
              var props = f.properties || {};
              var div = document.createElement("div");
              Object.keys(props).slice(0, 8).forEach(function (k) {
                var line = document.createElement("div");
                line.textContent = k + ": " + props[k];
                div.appendChild(line);
              });
              l.bindPopup(div);
            }
          }).addTo(map);
          if (pl.getLayers().length) map.fitBounds(pl.getBounds(), { maxZoom: 13 });
          el.dataset.pointCount = String(pl.getLayers().length);
          el.dispatchEvent(new CustomEvent("ydx:points", { detail: { count: pl.getLayers().length } }));
        });
      }
    });
    window.ydxMaps = window.ydxMaps || [];
    window.ydxMaps.push(map);
  }
  function all() { document.querySelectorAll(".map[data-boundaries]").forEach(init); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", all); else all();
})();
