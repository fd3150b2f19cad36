/*
 * kraftover sandbox: runs several kafka-configs commands in one JVM.
 *
 * Used to create SCRAM credentials in ZooKeeper before a ZooKeeper-mode
 * broker starts (`kafka-configs --zookeeper ... --alter --entity-type users
 * --add-config SCRAM-SHA-512=[...]`, still allowed for SCRAM in Kafka 3.x).
 * Arguments are kafka.admin.ConfigCommand argument lists separated by "--next".
 * ConfigCommand is looked up by reflection so this compiles against any
 * Kafka version; it exits the JVM with 1 when a command fails.
 */
package dev.kraftover.sandbox;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

public final class RunConfigCommands {
    private RunConfigCommands() {}

    public static void main(String[] args) throws Exception {
        Method main = Class.forName("kafka.admin.ConfigCommand").getMethod("main", String[].class);
        List<String> current = new ArrayList<>();
        for (String arg : args) {
            if (arg.equals("--next")) {
                run(main, current);
                current = new ArrayList<>();
            } else {
                current.add(arg);
            }
        }
        run(main, current);
        System.exit(0);
    }

    private static void run(Method main, List<String> args) throws Exception {
        if (args.isEmpty()) return;
        String[] array = args.toArray(new String[0]);
        System.out.println("kafka-configs " + Arrays.toString(array).replaceAll("password=[^,\\]]*", "password=[redacted]"));
        main.invoke(null, (Object) array);
    }
}
