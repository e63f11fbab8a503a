# Passes when the registry on localhost:5000 holds lab/greeter with the tag 1.0.
if ! curl -fs --max-time 3 http://127.0.0.1:5000/v2/lab/greeter/tags/list 2>/dev/null | grep -q '"1.0"'; then
  echo "The registry has no lab/greeter:1.0 yet: docker push localhost:5000/lab/greeter:1.0. / Le registre n'a pas encore de lab/greeter:1.0 : docker push localhost:5000/lab/greeter:1.0."
  exit 1
fi
