# Settings of the notebook server in Quai's jupyter image, as the official images have them
# (every interface, port 8888, no browser to open, the folder /home/jovyan), plus what lets
# it work behind a reverse proxy such as Quai's port preview:
#
# - requests may name any host (allow_remote_access): the browser names the proxy's host;
# - X-Forwarded-Proto and X-Forwarded-For are believed (trust_xheaders);
# - a proxy that serves the notebook under a path prefix and strips it, naming it in
#   X-Forwarded-Prefix (Quai serves port 8888 of node1 at /p/<session>/node1/8888/), gets
#   pages whose links, API calls, WebSockets, redirects and cookies all carry that prefix.
#
# The Origin check stays as it is: a page may call the API only from the host it was served
# from, which holds behind a proxy that passes the Host header on.
import re

from notebook.auth.login import LoginHandler
from notebook.base import handlers
from notebook.utils import url_path_join

c = get_config()  # noqa: F821 (given by Jupyter when it reads this file)
c.NotebookApp.ip = "0.0.0.0"
c.NotebookApp.port = 8888
c.NotebookApp.open_browser = False
c.NotebookApp.allow_remote_access = True
c.NotebookApp.trust_xheaders = True
# start.sh may run the server as root (the owner of a mounted work folder).
c.NotebookApp.allow_root = True
c.NotebookApp.notebook_dir = "/home/jovyan"
c.NotebookApp.quit_button = False

# A path of plain segments: letters, digits, `-`, `_`, `.` (never `..`).
_PREFIX = re.compile(r"^(/[A-Za-z0-9_.-]+)+/?$")


def _forwarded_prefix(handler):
    """The path prefix the proxy serves this server under, without its final slash, or ''."""
    prefix = handler.request.headers.get("X-Forwarded-Prefix", "")
    if not _PREFIX.match(prefix) or "/../" in prefix + "/" or "/./" in prefix + "/":
        return ""
    return prefix.rstrip("/")


def _base_url(self):
    base = self.settings.get("base_url", "/")
    prefix = _forwarded_prefix(self)
    return url_path_join(prefix, base) if prefix else base


_tornado_static_url = handlers.IPythonHandler.static_url


def _static_url(self, path, include_host=None, **kwargs):
    url = _tornado_static_url(self, path, include_host=include_host, **kwargs)
    prefix = _forwarded_prefix(self)
    return prefix + url if prefix and url.startswith("/") else url


def _login_url(self):
    return url_path_join(self.base_url, "login")


def _cookie_options(handler):
    # A copy: Jupyter's own code fills the shared settings in, so the first request's path
    # would stick for every later one.
    options = dict(handler.settings.get("cookie_options", {}))
    options.setdefault("path", handler.base_url)
    return options


def _set_login_cookie(cls, handler, user_id=None):
    options = _cookie_options(handler)
    options.setdefault("httponly", True)
    if handler.settings.get("secure_cookie", handler.request.protocol == "https"):
        options.setdefault("secure", True)
    handler.set_secure_cookie(handler.cookie_name, user_id, **options)
    return user_id


def _clear_login_cookie(self):
    self.clear_cookie(self.cookie_name, path=_cookie_options(self)["path"])


_redirect_safe = LoginHandler._redirect_safe


def _redirect_safe_under_prefix(self, url, default=None):
    # The page asked for before logging in, `next`, is a path the server saw: without the
    # prefix the proxy stripped.
    prefix = _forwarded_prefix(self)
    if prefix and url.startswith("/") and not url.startswith(("//", prefix + "/")):
        url = prefix + url
    return _redirect_safe(self, url, default)


handlers.IPythonHandler.base_url = property(_base_url)
handlers.IPythonHandler.static_url = _static_url
handlers.IPythonHandler.get_login_url = _login_url
handlers.IPythonHandler.clear_login_cookie = _clear_login_cookie
LoginHandler.set_login_cookie = classmethod(_set_login_cookie)
LoginHandler._redirect_safe = _redirect_safe_under_prefix
