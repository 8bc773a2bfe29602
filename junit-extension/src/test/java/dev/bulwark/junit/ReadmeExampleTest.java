package dev.bulwark.junit;

import dev.bulwark.api.Bulwark;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

// The README's example, verbatim from here to the end of the class.
@BulwarkTest
class ReadmeExampleTest {
    @Container
    static ContainerFixture web = ContainerFixture.of(Bulwark.container("python3", "-u", "-m", "http.server", "8000")
            .network("pasta").publish(0, 8000)                // host port 0: a free one
            .readyWhenOutput("Serving HTTP", Duration.ofSeconds(20)));

    @Test
    void servesFilesOverThePublishedPort() throws Exception {
        HttpRequest get = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + web.hostPort(8000) + "/")).build();
        HttpResponse<String> response = HttpClient.newHttpClient().send(get, HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode());
        assertTrue(response.body().contains("Directory listing for /"), response.body());
    }
}
