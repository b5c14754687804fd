package config

import (
	"fmt"
	"net/url"
	"strings"
)

// Bucket is an S3-compatible bucket read from VENDO_FILES_URL:
// s3://[key:secret@]bucket/prefix?endpoint=https://host&region=….
type Bucket struct {
	Endpoint  string // host[:port]
	Secure    bool   // https
	Region    string // empty: asked from the service
	Name      string
	Prefix    string // "" or ending in "/"
	AccessKey string
	SecretKey string
}

const bucketExample = "s3://my-bucket/vendo?endpoint=https://s3.eu-central-1.amazonaws.com&region=eu-central-1"

// parseBucketURL reads VENDO_FILES_URL; credentials come from its user
// info or, later, from the environment (credentials).
func parseBucketURL(v string) (*Bucket, error) {
	u, err := url.Parse(v)
	if err != nil || u.Scheme != "s3" || u.Host == "" {
		return nil, fmt.Errorf("is not a bucket address: use %s.", bucketExample)
	}
	b := &Bucket{Name: u.Host, Prefix: strings.Trim(u.Path, "/"), Region: u.Query().Get("region")}
	if b.Prefix != "" {
		b.Prefix += "/"
	}
	if u.User != nil {
		b.AccessKey = u.User.Username()
		b.SecretKey, _ = u.User.Password()
	}
	ep := u.Query().Get("endpoint")
	if ep == "" {
		return nil, fmt.Errorf("names no endpoint: add ?endpoint= with your storage's address, like %s.", bucketExample)
	}
	e, err := url.Parse(ep)
	if err != nil || (e.Scheme != "http" && e.Scheme != "https") || e.Host == "" || (e.Path != "" && e.Path != "/") {
		return nil, fmt.Errorf("has the endpoint %q, which is not a service address: use its scheme and host, like https://s3.eu-central-1.amazonaws.com (the bucket goes before the path, as in %s).", ep, bucketExample)
	}
	b.Endpoint, b.Secure = e.Host, e.Scheme == "https"
	for k := range u.Query() {
		if k != "endpoint" && k != "region" {
			return nil, fmt.Errorf("has the parameter %q, which Vendo does not know: only endpoint and region are read.", k)
		}
	}
	return b, nil
}

// credentials fills in the key and secret from AWS_ACCESS_KEY_ID and
// AWS_SECRET_ACCESS_KEY when the URL has none, and says when both are
// missing.
func (b *Bucket) credentials(getenv func(string) string, at int, name string) []problem {
	if b.AccessKey == "" && b.SecretKey == "" {
		b.AccessKey, b.SecretKey = strings.TrimSpace(getenv("AWS_ACCESS_KEY_ID")), strings.TrimSpace(getenv("AWS_SECRET_ACCESS_KEY"))
	}
	if b.AccessKey == "" || b.SecretKey == "" {
		return []problem{{at, fmt.Errorf("%s has no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY to the bucket's access key and secret, or put them in the URL as s3://KEY:SECRET@bucket/….", name)}}
	}
	return nil
}

// String is the bucket without its credentials, for logs and messages.
func (b *Bucket) String() string { return "s3://" + b.Name + "/" + b.Prefix }
