// Starting wecom-mock from `go test` and talking to it with net/http: the helpers the workflow
// tests use. Copy this file into your project and point your WeCom client at mockURL.
package wecomexample

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"syscall"
	"testing"
	"time"
)

// mockURL is the base URL of the server TestMain started (http://127.0.0.1:PORT).
var mockURL string

var banner = regexp.MustCompile(`wecom-mock listening on (http://\S+)`)

// TestMain starts one server for the package ($WECOM_MOCK_BIN, or wecom-mock on PATH), on a
// port the kernel picks, and stops it with SIGTERM after the tests.
func TestMain(m *testing.M) {
	binary := os.Getenv("WECOM_MOCK_BIN")
	if binary == "" {
		binary = "wecom-mock"
	}
	cmd := exec.Command(binary, "--listen", "127.0.0.1:0")
	cmd.Stderr = os.Stderr
	if os.Getenv("RUST_LOG") == "" {
		cmd.Env = append(os.Environ(), "RUST_LOG=warn") // its log on stderr: warnings and errors only
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "cannot start wecom-mock (set WECOM_MOCK_BIN):", err)
		os.Exit(2)
	}
	code := 2
	if url, err := waitReady(stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
	} else {
		mockURL = url
		code = m.Run()
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	_ = cmd.Wait()
	os.Exit(code)
}

// waitReady reads the first stdout line for the address, keeps the pipe drained, and polls
// /healthz until it answers 200.
func waitReady(stdout io.Reader) (string, error) {
	lines := bufio.NewReader(stdout)
	first, err := lines.ReadString('\n')
	match := banner.FindStringSubmatch(first)
	if match == nil {
		return "", fmt.Errorf("wecom-mock printed %q, not its address (%v)", first, err)
	}
	go func() { _, _ = io.Copy(io.Discard, lines) }()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if answer, err := http.Get(match[1] + "/healthz"); err == nil {
			answer.Body.Close()
			if answer.StatusCode == http.StatusOK {
				return match[1], nil
			}
		}
	}
	return "", fmt.Errorf("wecom-mock at %s did not become healthy", match[1])
}

// object is a decoded JSON object.
type object = map[string]any

// corp is a fresh corp of the test's own (POST /__admin/tenants), with an access token.
type corp struct {
	t          *testing.T
	corpid     string
	adminToken string
	token      string
}

// newCorp creates a corp with the default directory (fixture nil) or the one given, deleted
// when the test ends.
func newCorp(t *testing.T, fixture object) *corp {
	t.Helper()
	body := object{}
	if fixture != nil {
		body["fixture"] = fixture
	}
	var tenant struct {
		Corpid     string `json:"corpid"`
		Secret     string `json:"secret"`
		AdminToken string `json:"admin_token"`
	}
	if status := send(t, http.MethodPost, "/__admin/tenants", body, "", &tenant); status != http.StatusOK {
		t.Fatalf("POST /__admin/tenants: HTTP %d", status)
	}
	c := &corp{t: t, corpid: tenant.Corpid, adminToken: tenant.AdminToken}
	t.Cleanup(func() { send(t, http.MethodDelete, "/__admin/corps/"+c.corpid, nil, c.adminToken, nil) })
	query := url.Values{"corpid": {tenant.Corpid}, "corpsecret": {tenant.Secret}}
	var answer object
	send(t, http.MethodGet, "/cgi-bin/gettoken?"+query.Encode(), nil, "", &answer)
	if answer["errcode"] != 0.0 {
		t.Fatalf("gettoken: %v", answer)
	}
	c.token = answer["access_token"].(string)
	return c
}

// call is a WeCom API call: POST with the access token; the answer is HTTP 200 whatever the
// errcode, which the caller checks (ok() for success).
func (c *corp) call(api string, body object) object {
	c.t.Helper()
	var answer object
	if status := send(c.t, http.MethodPost, "/cgi-bin/"+api+"?access_token="+c.token, body, "", &answer); status != http.StatusOK {
		c.t.Fatalf("%s: HTTP %d", api, status)
	}
	return answer
}

// ok is call() for a call that must succeed.
func (c *corp) ok(api string, body object) object {
	c.t.Helper()
	answer := c.call(api, body)
	if answer["errcode"] != 0.0 {
		c.t.Fatalf("%s %v: %v", api, body, answer)
	}
	return answer
}

// get is a WeCom GET call with query parameters.
func (c *corp) get(api string, query url.Values) object {
	c.t.Helper()
	query.Set("access_token", c.token)
	var answer object
	send(c.t, http.MethodGet, "/cgi-bin/"+api+"?"+query.Encode(), nil, "", &answer)
	return answer
}

// admin is a control-surface call for this corp, with its admin token; it returns the HTTP
// status and decodes the answer into out.
func (c *corp) admin(method, path string, body object, out any) int {
	c.t.Helper()
	return send(c.t, method, path, body, c.adminToken, out)
}

func send(t *testing.T, method, path string, body object, bearer string, out any) int {
	t.Helper()
	var reader io.Reader
	if body != nil {
		encoded, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		reader = bytes.NewReader(encoded)
	}
	request, err := http.NewRequest(method, mockURL+path, reader)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		request.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		request.Header.Set("Authorization", "Bearer "+bearer)
	}
	answer, err := http.DefaultClient.Do(request)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer answer.Body.Close()
	text, err := io.ReadAll(answer.Body)
	if err != nil {
		t.Fatal(err)
	}
	if out != nil && len(text) > 0 {
		if err := json.Unmarshal(text, out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, text)
		}
	}
	return answer.StatusCode
}
