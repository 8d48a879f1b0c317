/** The {@code clickstream} pipeline: page views, user sessions and active users from clicks. */
package io.beamsuite.pipelines.clickstream;
