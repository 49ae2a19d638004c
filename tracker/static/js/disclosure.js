// Charts of the disclosure supervision page (Chart.js, vendored). Data comes from data-chart attributes.
document.addEventListener("DOMContentLoaded", () => {
  if (typeof Chart === "undefined") return;
  document.querySelectorAll("canvas[data-chart]").forEach((canvas) => {
    const data = JSON.parse(canvas.dataset.chart);
    const kind = canvas.dataset.kind || "bar";
    new Chart(canvas, {
      type: kind,
      data: {
        labels: data.labels,
        datasets: [{
          label: "按时发布率（%）",
          data: data.rates,
          backgroundColor: kind === "bar" ? "rgba(155, 28, 28, 0.7)" : "rgba(155, 28, 28, 0.2)",
          borderColor: "#9b1c1c",
          spanGaps: true,
          tension: 0.2,
        }],
      },
      options: {
        maintainAspectRatio: false,
        animation: false,
        scales: { y: { min: 0, max: 100 } },
        plugins: { legend: { display: false } },
      },
    });
  });
});
