// Lazy expansion of the organisation tree: a node's children are fetched the first time it opens.
document.addEventListener("toggle", async (event) => {
  const details = event.target;
  if (!(details instanceof HTMLDetailsElement) || !details.open || details.dataset.loaded) return;
  const url = details.dataset.children;
  if (!url) return;
  details.dataset.loaded = "1";
  const list = details.querySelector(":scope > ul");
  const response = await fetch(url, { headers: { "X-Requested-With": "fetch" }, credentials: "same-origin" });
  list.innerHTML = response.ok ? await response.text() : `<li class="error">${response.status}</li>`;
}, true);
