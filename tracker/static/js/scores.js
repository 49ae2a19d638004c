// Score pages: the trend chart (Chart.js, vendored; data in data-chart) and the period switcher.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("select[data-navigate]").forEach((select) => {
    select.addEventListener("change", () => { window.location.href = select.value; });
  });
  const canvas = document.getElementById("chart-trend");
  if (!canvas || typeof Chart === "undefined") return;
  const data = JSON.parse(canvas.dataset.chart);
  new Chart(canvas, {
    type: "line",
    data: {
      labels: data.labels,
      datasets: [
        { label: "本单位得分", data: data.totals, borderColor: "#9b1c1c", backgroundColor: "rgba(155, 28, 28, 0.2)", tension: 0.2 },
        { label: "全市平均", data: data.averages, borderColor: "#6c757d", borderDash: [4, 4], spanGaps: true, tension: 0.2 },
      ],
    },
    options: {
      maintainAspectRatio: false,
      animation: false,
      scales: { y: { suggestedMin: 60, suggestedMax: 105 } },
    },
  });
});
