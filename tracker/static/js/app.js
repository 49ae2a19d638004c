// Small behaviours for the whole site. No inline scripts (the CSP forbids them).
document.addEventListener("DOMContentLoaded", () => {
  // Ask for confirmation on forms marked data-confirm (e.g. deactivating an account).
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
  // Export links (data-export): a large export takes seconds before the download starts; say so
  // until the server's download_done cookie (set with the file) carries this click's token.
  document.querySelectorAll("a[data-export]").forEach((link) => {
    const label = link.textContent;
    link.addEventListener("click", (event) => {
      if (link.getAttribute("aria-busy") === "true") { event.preventDefault(); return; }
      const token = Math.random().toString(36).slice(2, 12);
      const url = new URL(link.href, window.location.href);
      url.searchParams.set("download_token", token);
      link.href = url.toString();
      link.setAttribute("aria-busy", "true");
      link.classList.add("disabled");
      link.textContent = "正在生成，请稍候…";
      const started = Date.now();
      const timer = window.setInterval(() => {
        const done = document.cookie.split("; ").includes("download_done=" + token);
        if (done || Date.now() - started > 120000) {
          window.clearInterval(timer);
          document.cookie = "download_done=; Max-Age=0; path=/";
          link.removeAttribute("aria-busy");
          link.classList.remove("disabled");
          link.textContent = label;
        }
      }, 400);
    });
  });
  // Selects marked data-autosubmit submit their form on change (filters).
  document.querySelectorAll("select[data-autosubmit]").forEach((select) => {
    select.addEventListener("change", () => select.form.submit());
  });
});
