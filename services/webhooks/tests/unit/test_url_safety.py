import pytest

from smartpay_webhooks.domain.url_safety import UnsafeUrl, UrlPolicy, check

AWS = UrlPolicy(require_https=True, allow_loopback=False)
LOCAL = UrlPolicy(require_https=False, allow_loopback=True)


def resolver(table):
    def resolve(host, port):
        if host not in table:
            raise OSError("no such host")
        return table[host]
    return resolve


PUBLIC = resolver({"hooks.example.com": ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"],
                   "inside.example.com": ["93.184.215.14", "10.0.3.7"],
                   "meta.example.com": ["169.254.169.254"],
                   "v6local.example.com": ["fe80::1"], "ula.example.com": ["fd00::5"],
                   "mapped.example.com": ["::ffff:127.0.0.1"], "loop.example.com": ["127.0.0.1"]})


def test_https_to_public_addresses_passes_and_pins_them():
    target = check("https://hooks.example.com/smartpay?x=1", AWS, PUBLIC)
    assert (target.host, target.port, target.path) == ("hooks.example.com", 443, "/smartpay?x=1")
    assert target.addresses == ("93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c")


@pytest.mark.parametrize("url, reason", [
    ("http://hooks.example.com/", "https"),
    ("ftp://hooks.example.com/", "https"),
    ("https://user:pw@hooks.example.com/", "credentials"),
    ("https://inside.example.com/", "private"),
    ("https://meta.example.com/", "link-local"),
    ("https://169.254.169.254/latest/meta-data", "link-local"),
    ("https://127.0.0.1:8443/", "loopback"),
    ("https://localhost/", "loopback"),
    ("https://loop.example.com/", "loopback"),
    ("https://mapped.example.com/", "loopback"),
    ("https://[::1]/", "loopback"),
    ("https://v6local.example.com/", "link-local"),
    ("https://ula.example.com/", "private"),
    ("https://192.168.1.10/", "private"),
    ("https://172.16.0.1/", "private"),
    ("https://100.64.0.1/", "non-public"),
    ("https://0.0.0.0/", "private or reserved"),
    ("https://224.0.0.1/", "private or reserved"),
    ("https://nowhere.example.com/", "does not resolve"),
    ("https:///path", "no host"),
    ("https://" + "a" * 2050 + ".com/", "longer"),
])
def test_the_aws_target_refuses(url, reason):
    with pytest.raises(UnsafeUrl, match=reason):
        check(url, AWS, PUBLIC)


def test_the_local_target_allows_loopback_only_when_told():
    assert check("http://127.0.0.1:8499/webhooks", LOCAL, PUBLIC).addresses == ("127.0.0.1",)
    assert check("http://localhost:8499/", LOCAL, PUBLIC).port == 8499
    with pytest.raises(UnsafeUrl, match="link-local"):
        check("http://169.254.169.254/", LOCAL, PUBLIC)
    with pytest.raises(UnsafeUrl, match="private"):
        check("http://10.1.2.3/", LOCAL, PUBLIC)
    with pytest.raises(UnsafeUrl, match="loopback"):
        check("http://127.0.0.1:8499/", UrlPolicy(require_https=False, allow_loopback=False), PUBLIC)
