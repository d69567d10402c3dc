// The code arrives after '#', which the browser never sends to the server; put it into the form.
if (location.hash.length > 1) {
  document.getElementById("code").value = decodeURIComponent(location.hash.slice(1));
  history.replaceState(null, "", location.pathname);
}
