// The map beside a list of initiatives (templates/initiatives/_map.html): a marker
// for each one on the page with a location, clustered at low zoom, each opening a
// pop-up that links to the initiative's page.
//
// The list is the page: the map repeats it for those who can see it. It is hidden
// from assistive technology (aria-hidden) and nothing inside it takes the keyboard's
// focus. Without JavaScript, or without Leaflet, the panel stays hidden.
(function () {
  "use strict";
  var panel = document.querySelector("[data-map-panel]");
  var element = panel && panel.querySelector(".map-panel__map");
  var island = element && document.getElementById(element.getAttribute("data-map-data"));
  if (!island || !window.L || typeof L.markerClusterGroup !== "function") {
    return;
  }
  var data = JSON.parse(island.textContent);
  if (!data || !data.tiles || !data.markers || data.markers.length === 0) {
    return;
  }

  // Anything focusable Leaflet adds (zoom buttons, pop-up links and close buttons,
  // markers and clusters) is taken out of the tab order as it appears.
  var FOCUSABLE = "a, button, input, select, textarea, [tabindex]";
  function unfocusable(root) {
    root.querySelectorAll(FOCUSABLE).forEach(function (node) {
      node.setAttribute("tabindex", "-1");
    });
  }
  new MutationObserver(function () {
    unfocusable(element);
  }).observe(element, { childList: true, subtree: true });

  panel.hidden = false;
  panel.parentElement.classList.add("has-map"); // the listing makes room beside its results
  L.Marker.prototype.options.keyboard = false; // clusters are markers too
  var map = L.map(element, {
    keyboard: false,
    attributionControl: false, // the attribution is the panel's own text, below the map
    scrollWheelZoom: false, // the page scrolls past the map; zoom with the buttons
  });
  L.tileLayer(data.tiles, { maxZoom: 18, minZoom: 4 }).addTo(map);

  var icon = L.icon({
    iconUrl: element.getAttribute("data-icon"),
    iconRetinaUrl: element.getAttribute("data-icon-2x"),
    shadowUrl: element.getAttribute("data-shadow"),
    iconSize: [25, 41],
    iconAnchor: [12, 41],
    popupAnchor: [1, -34],
    shadowSize: [41, 41],
  });
  var clusters = L.markerClusterGroup({
    showCoverageOnHover: false,
    maxClusterRadius: 50,
    // The count alone, written as text (the default adds an aria-label to a span).
    iconCreateFunction: function (cluster) {
      var count = cluster.getChildCount();
      var size = count < 10 ? "small" : count < 100 ? "medium" : "large";
      var inner = document.createElement("div");
      var label = document.createElement("span");
      label.textContent = String(count);
      inner.appendChild(label);
      return L.divIcon({
        html: inner,
        className: "marker-cluster marker-cluster-" + size,
        iconSize: L.point(40, 40),
      });
    },
  });

  data.markers.forEach(function (item) {
    // Built as elements with text, never as markup: names are whatever curators typed.
    var content = document.createElement("div");
    content.className = "map-popup";
    var link = document.createElement("a");
    link.href = item.url;
    link.textContent = item.name;
    link.className = "map-popup__link";
    content.appendChild(link);
    if (item.note) {
      var note = document.createElement("p");
      note.className = "map-popup__note";
      note.textContent = item.note;
      content.appendChild(note);
    }
    var marker = L.marker([item.lat, item.lng], { icon: icon, keyboard: false, alt: "" });
    marker.bindPopup(content);
    clusters.addLayer(marker);
  });
  map.addLayer(clusters);

  if (data.markers.length === 1) {
    var only = data.markers[0];
    map.setView([only.lat, only.lng], only.note ? 12 : 15);
  } else {
    map.fitBounds(clusters.getBounds(), { padding: [24, 24], maxZoom: 15 });
  }
  unfocusable(element);
})();
