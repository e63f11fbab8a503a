# Passes when ~/analysis/Dockerfile starts FROM an image pinned by digest and analysis:1.0
# is built.
if ! grep -qiE '^[[:space:]]*FROM[[:space:]]+[^[:space:]]+@sha256:[0-9a-f]{64}' /root/analysis/Dockerfile 2>/dev/null; then
  echo "~/analysis/Dockerfile does not start FROM an image pinned by digest (FROM python@sha256:...). / ~/analysis/Dockerfile ne part pas d'une image figée par son empreinte (FROM python@sha256:...)."
  exit 1
fi
if ! docker image inspect analysis:1.0 >/dev/null 2>&1; then
  echo "There is no image analysis:1.0 yet: docker build -t analysis:1.0 . in ~/analysis. / Il n'y a pas encore d'image analysis:1.0 : docker build -t analysis:1.0 . dans ~/analysis."
  exit 1
fi
