package dev.bulwark.config.model;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.SerializerProvider;
import java.io.IOException;
import java.math.BigInteger;

/**
 * JSON mapping for the spec's {@code uint64} fields, held in a Java {@code long}.
 *
 * <p>Java has no unsigned 64-bit type, so the full range 0..18446744073709551615 is stored as the
 * value's two's-complement bits: {@code 18446744073709551615} reads as {@code -1L},
 * {@code 9223372036854775808} as {@link Long#MIN_VALUE}. This is exactly what a seccomp BPF
 * program compares (two 32-bit halves of the same bits) and what {@code setrlimit(2)} takes.
 * Negative numbers, fractions, strings and values above 2^64-1 are rejected.
 */
public final class Uint64 {
    private static final BigInteger MAX = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);

    private Uint64() {}

    /** Parses a decimal uint64 into its 64 bits; throws {@link NumberFormatException} if out of range. */
    public static long parse(String decimal) {
        return fromBigInteger(new BigInteger(decimal));
    }

    static long fromBigInteger(BigInteger value) {
        if (value.signum() < 0 || value.compareTo(MAX) > 0) {
            throw new NumberFormatException("not an unsigned 64-bit integer: " + value);
        }
        return value.longValue();
    }

    /**
     * Reads a JSON integer in 0..2^64-1 into a primitive {@code long} field: JSON null is rejected
     * and an absent optional field reads as 0 (required fields are enforced by
     * {@code @JsonProperty(required = true)} before this is consulted).
     */
    public static final class Deserializer extends JsonDeserializer<Long> {
        @Override
        public Long getNullValue(DeserializationContext ctx) throws JsonMappingException {
            return ctx.reportInputMismatch(this, "must be an unsigned 64-bit integer, not null");
        }

        @Override
        public Object getAbsentValue(DeserializationContext ctx) {
            return 0L;
        }

        @Override
        public Long deserialize(JsonParser p, DeserializationContext ctx) throws IOException {
            if (p.currentToken() != JsonToken.VALUE_NUMBER_INT) {
                return (Long) ctx.handleUnexpectedToken(Long.class, p);
            }
            try {
                return fromBigInteger(p.getBigIntegerValue());
            } catch (NumberFormatException e) {
                return (Long) ctx.handleWeirdNumberValue(Long.class, p.getNumberValue(),
                        "must be an unsigned 64-bit integer (0..18446744073709551615)");
            }
        }
    }

    /** Writes the bits back as the unsigned decimal number they stand for. */
    public static final class Serializer extends JsonSerializer<Long> {
        @Override
        public void serialize(Long value, JsonGenerator gen, SerializerProvider provider) throws IOException {
            if (value >= 0) {
                gen.writeNumber(value);
            } else {
                gen.writeNumber(new BigInteger(Long.toUnsignedString(value)));
            }
        }
    }
}
