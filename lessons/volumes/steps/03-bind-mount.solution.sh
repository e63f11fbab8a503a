mkdir -p ~/project && cd ~/project
cat > measurements.csv <<'EOF'
sample,value
a,12.5
b,14.0
c,13.1
d,15.4
EOF
docker run --rm -v "$PWD":/work -w /work busybox awk -F, 'NR > 1 { sum += $2; n++ } END { printf "%.2f\n", sum / n > "mean.txt" }' measurements.csv
ls -l
cat mean.txt
docker run --rm -v "$PWD":/work:ro busybox touch /work/oops.txt || true
