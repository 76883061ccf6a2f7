/* The dashboard's charts: each spec from #dashboard-charts (built by the dashboard view) is drawn
   with ECharts in its container, and redrawn to size whenever the container changes width. A spec
   with links (one per category) opens the link of the bar or slice clicked: a township's or
   village's dashboard, or (for staff) the list behind a month or an ability level. */
(function () {
  "use strict";
  var source = document.getElementById("dashboard-charts");
  if (!source || typeof echarts === "undefined") { return; }
  var specs = JSON.parse(source.textContent);
  var charts = [];

  function pieOption(spec) {
    var first = spec.series[0] || {data: []};
    var data = spec.categories.map(function (name, i) {
      return {name: name, value: first.data[i] || 0, link: (spec.links || [])[i] || ""};
    }).filter(function (item) { return item.value > 0; });
    return {
      tooltip: {trigger: "item"},
      legend: {type: "scroll", bottom: 0, show: data.length > 0},
      series: [{
        name: first.name,
        type: "pie",
        radius: ["35%", "65%"],
        center: ["50%", "45%"],
        stillShowZeroSum: false,
        label: {formatter: "{b}: {c}"},
        data: data
      }]
    };
  }

  function axisOption(spec) {
    var twoAxes = spec.series.some(function (s) { return s.axis === 1; });
    var yAxes = [{type: "value", minInterval: 1}];
    if (twoAxes) { yAxes.push({type: "value", minInterval: 1, splitLine: {show: false}}); }
    return {
      tooltip: {trigger: "axis"},
      legend: {type: "scroll", top: 0},
      grid: {left: 8, right: 8, bottom: 8, top: 32, containLabel: true},
      xAxis: {type: "category", data: spec.categories, axisLabel: {hideOverlap: true}},
      yAxis: yAxes,
      series: spec.series.map(function (s) {
        return {
          name: s.name,
          type: s.type || spec.type,
          stack: s.stack || undefined,
          yAxisIndex: s.axis || 0,
          itemStyle: s.color ? {color: s.color} : undefined,
          data: s.data
        };
      })
    };
  }

  function isEmpty(spec) {
    return spec.series.every(function (s) {
      return s.data.every(function (value) { return !value; });
    });
  }

  specs.forEach(function (spec) {
    var element = document.getElementById("chart-" + spec.id);
    if (!element) { return; }
    var chart = echarts.init(element, null, {renderer: "canvas"});
    var option = spec.type === "pie" ? pieOption(spec) : axisOption(spec);
    if (isEmpty(spec)) {
      // Said in words: an empty axis or pie reads as a broken chart.
      option.title = {
        text: spec.empty, left: "center", top: "middle",
        textStyle: {color: "#6c757d", fontSize: 13, fontWeight: "normal"}
      };
    }
    chart.setOption(option);
    if (spec.links && spec.links.length) {
      // A pie leaves out its empty slices, so a slice carries its own link.
      chart.on("click", function (params) {
        var link = params.data && params.data.link !== undefined ?
          params.data.link : spec.links[params.dataIndex];
        if (link) { window.location.href = link; }
      });
    }
    charts.push(chart);
  });

  var resize = function () { charts.forEach(function (chart) { chart.resize(); }); };
  if (typeof ResizeObserver !== "undefined") {
    var observer = new ResizeObserver(resize);
    charts.forEach(function (chart) { observer.observe(chart.getDom()); });
  } else {
    window.addEventListener("resize", resize);
  }
})();
