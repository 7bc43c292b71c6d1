// Package org.newswatch.testengine runs a single OpenSearch node inside one JVM
// from the jars Maven Central serves, for newswatch's store/elastic tests and
// benchmarks. It is not a production deployment: no security plugin, one node,
// loopback only.
package org.newswatch.testengine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import org.opensearch.Version;
import org.opensearch.common.logging.LogConfigurator;
import org.opensearch.common.settings.Settings;
import org.opensearch.env.Environment;
import org.opensearch.index.reindex.ReindexPlugin;
import org.opensearch.analysis.common.CommonAnalysisPlugin;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.plugins.Plugin;
import org.opensearch.transport.Netty4Plugin;

/**
 * TestEngine starts one OpenSearch node with the modules newswatch needs
 * (netty4 HTTP/transport, analysis-common, reindex for delete-by-query) and
 * keeps it running until the process gets SIGTERM/SIGINT.
 *
 * <p>Usage: {@code java -cp 'target/classes:target/lib/*' org.newswatch.testengine.TestEngine HOME HTTP_PORT}
 */
public final class TestEngine {

    /** EmbeddedNode opens Node's classpath-plugin constructor. */
    static final class EmbeddedNode extends Node {
        EmbeddedNode(Environment env, List<Class<? extends Plugin>> plugins) {
            super(env, plugins, true);
        }
    }

    private TestEngine() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: TestEngine HOME HTTP_PORT");
            System.exit(2);
        }
        Path home = Path.of(args[0]).toAbsolutePath();
        int httpPort = Integer.parseInt(args[1]);
        Files.createDirectories(home.resolve("data"));
        Files.createDirectories(home.resolve("logs"));
        Files.createDirectories(home.resolve("config"));

        Settings settings = Settings.builder()
            .put("cluster.name", "newswatch-test")
            .put("node.name", "newswatch-test-0")
            .put("path.home", home.toString())
            .put("path.data", home.resolve("data").toString())
            .put("path.logs", home.resolve("logs").toString())
            .put("network.host", "127.0.0.1")
            .put("http.port", httpPort)
            .put("transport.port", "0")
            .put("discovery.type", "single-node")
            .put("cluster.routing.allocation.disk.threshold_enabled", false)
            .put("action.auto_create_index", true)
            .put("logger.level", "WARN")
            .build();
        LogConfigurator.registerErrorListener();
        LogConfigurator.configureWithoutConfig(settings);
        Environment env = InternalSettingsPreparer.prepareEnvironment(
            settings, Collections.emptyMap(), home.resolve("config"), () -> "newswatch-test-0");

        Node node = new EmbeddedNode(env, List.of(
            Netty4Plugin.class, CommonAnalysisPlugin.class, ReindexPlugin.class));
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
            } catch (Exception e) {
                System.err.println("testengine: close: " + e);
            } finally {
                stopped.countDown();
            }
        }, "testengine-shutdown"));
        node.start();
        System.out.println("testengine: OpenSearch " + Version.CURRENT + " listening on http://127.0.0.1:" + httpPort);
        stopped.await();
    }
}
